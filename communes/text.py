"""Text helpers for Vietnamese names."""

import unicodedata


def fold(text: str) -> str:
    """Lower-case ``text`` and strip Vietnamese diacritics: "Đồi Ngô" -> "doi ngo".

    Users often type without accents; searching a folded copy of each name finds them.
    """
    text = (text or "").replace("Đ", "D").replace("đ", "d")
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.lower().split())


def person_name(user) -> str:
    """A user's name in Vietnamese order (family and middle names, then the given name).

    The accounts keep the given name in ``first_name`` and the rest in ``last_name``;
    Django's ``get_full_name`` would put the given name first.
    """
    if user is None:
        return ""
    full = f"{user.last_name} {user.first_name}".strip()
    return full or user.get_username()


def plain_number(value):
    """A Decimal without trailing zeros or exponent: 96.50 -> 96.5, 100.00 -> 100."""
    if value is None:
        return None
    if value == value.to_integral_value():
        return value.quantize(type(value)(1))
    return value.normalize()
