"""How contact details are compared for the shared-contact anomaly flags: the same phone however
it is written, the same company mail domain (public mail services say nothing), the same
registered address without spaces or punctuation."""
import re
import unicodedata

PUBLIC_MAIL_DOMAINS = frozenset({
    "qq.com", "vip.qq.com", "foxmail.com", "163.com", "126.com", "yeah.net", "vip.163.com", "sina.com", "sina.cn",
    "sohu.com", "139.com", "189.cn", "aliyun.com", "gmail.com", "outlook.com", "hotmail.com", "live.com",
    "yahoo.com", "icloud.com", "msn.com",
})
MIN_PHONE_DIGITS = 7
MIN_ADDRESS_CHARS = 6


def folded(text):
    """Full-width characters as their ASCII forms (０５９２ → 0592, ＠ → @)."""
    return unicodedata.normalize("NFKC", text or "")


def phone_key(phone):
    """Digits only, without the country code (+86 / 0086) or the trunk 0, so 0592-5555555,
    +86 592 5555555 and 0086-592-5555555 agree. None when too short to mean anything."""
    digits = re.sub(r"[^0-9]", "", folded(phone))
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) > 11:
        digits = digits[2:]
    digits = digits.lstrip("0")
    return digits if len(digits) >= MIN_PHONE_DIGITS else None


def email_domain_key(email):
    """The company mail domain, or None for blank addresses and public mail services."""
    _local, at, domain = folded(email).strip().lower().rpartition("@")
    domain = domain.strip(". ")
    if not at or not domain or domain in PUBLIC_MAIL_DOMAINS:
        return None
    return domain


def address_key(address):
    """Letters and digits only (spaces and punctuation of either width dropped), lower case."""
    key = "".join(ch for ch in folded(address).lower() if ch.isalnum())
    return key if len(key) >= MIN_ADDRESS_CHARS else None
