"""Citations: what a reader takes away, and in which form.

`works` says, per kind of entry, what work is cited and how the copy of a
passage reads (Harvard author–date: verbatim text in quotation marks, then
who said or wrote it, where, when and the address, then the permalink);
`formats` writes works as CSL-JSON, RIS and BibTeX for reference managers.

Plain data in, plain text out: no Textual, no I/O.
"""
