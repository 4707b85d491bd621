from lbn_tui.cli import main

raise SystemExit(main())
