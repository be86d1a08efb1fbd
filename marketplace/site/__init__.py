"""The site's own pages: help and privacy, and the footer's settings (organiser, contact, ICP
filing number) — static text in the user's language, no data of their own."""
