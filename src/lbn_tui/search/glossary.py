"""An editorial glossary: the briefings' terms of art in plain language.

This is editorial content, not code.  The APPG's pages use terms of art
("dormant assets", "social infrastructure", "third sector") that a reader may
not know to type; each line below links one such term, written as the pages
write it, to everyday phrasings of what it means.  When every content word of
a phrasing is in a query (compared by rough word stem, British and American
spellings alike), the search also looks for the term, a little below the
words actually typed (see ``GLOSS_QUALITY`` in the engine).  It never names a
passage or an entry: a term found nowhere in a pack simply adds nothing.

Format: ``term = phrasing | phrasing | ...``; ``#`` starts a comment.  Keep
the phrasings general (what the term means to a non-specialist), never a
copy of one test query, and keep the term as the pages spell it.
"""

from __future__ import annotations

from functools import lru_cache

__all__ = ["GLOSSARY_TEXT", "entries"]

GLOSSARY_TEXT = """
# Funding and assets
dormant assets = unclaimed money | money not claimed | forgotten money | unclaimed savings
    | forgotten savings | forgotten bank accounts | inactive accounts | lost savings
    | unclaimed shares | unclaimed pensions
endowment = permanent fund | long term fund | money invested for good
micro-grants = small grants | small sums of money | seed money
socioeconomic benefits = value for money | payback | return on investment | benefit to society

# Places and the things that hold a community together
social infrastructure = places to meet | meeting places | places to get together | spaces to gather
    | community spaces | community centres | village halls | community facilities
green spaces = parks | playing fields | open spaces | recreation grounds | public gardens
community hubs = community centres | drop in centres | local centres
connectivity = transport links | bus links | bus services | public transport | broadband
    | internet access | internet links | getting around | digital access
social capital = community ties | trust between neighbours | social connections | social networks

# People and groups
third sector = charities | voluntary sector | voluntary organisations | nonprofits
    | not for profit | voluntary groups
mutual aid groups = volunteer groups | neighbours helping neighbours | self help groups
    | volunteers helping
community-led = led by residents | residents leading | run by local people | grassroots
    | bottom up

# Health and wellbeing
social prescribing = gp referral | doctor referral | referred by a doctor | referral to activities
    | non medical help | prescribing activities
social determinants = non medical causes | causes of ill health | reasons for seeing a gp
loneliness = lonely | feeling alone | social isolation | isolated people
healthy life expectancy = years in good health | living longer | how long people live

# Policy
deprivation = poverty | poor areas | poorest | most disadvantaged | disadvantaged areas
    | low income | hardship
levelling up = regional inequality | north south divide | regional inequalities
devolved = local control | decisions made locally | localism | power to local areas
"""


@lru_cache(maxsize=1)
def entries() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(term, phrasings) for each glossary line, lower-cased."""
    out: list[tuple[str, tuple[str, ...]]] = []
    logical: list[str] = []
    for raw in GLOSSARY_TEXT.splitlines():
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        if raw[:1].isspace() and logical:
            logical[-1] += " " + line.strip()
        else:
            logical.append(line.strip())
    for line in logical:
        term, _, rest = line.partition("=")
        phrasings = tuple(p.strip().lower() for p in rest.split("|") if p.strip())
        if term.strip() and phrasings:
            out.append((term.strip().lower(), phrasings))
    return tuple(out)
