"""The service categories of the zone (DESIGN.md). Slugs are a public interface (CSV import)."""
from marketplace.i18n import N_

# slug → English msgid; the Chinese names (知识产权, 检验检测认证, …) are their translations.
CATEGORY_LABELS = {
    "ip": N_("Intellectual property"),
    "testing": N_("Testing, inspection and certification"),
    "rnd": N_("R&D and design"),
    "consulting": N_("Technology consulting"),
    "transfer": N_("Technology transfer"),
    "finance": N_("Technology finance"),
    "incubation": N_("Start-up incubation"),
    "training": N_("Talent training"),
    "data": N_("Instrument sharing and data services"),
}
