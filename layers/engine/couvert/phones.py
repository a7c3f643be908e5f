"""Phone numbers as guests type them, read in the location's country and stored in E.164."""

from __future__ import annotations

from couvert.errors import ValidationFailed


def e164(raw: str | None, country: str | None, field: str = "guest.phone") -> str | None:
    """`06 12345678` at a Dutch location is +31612345678; an international number is read as it is.
    An invalid number (or a national one where the location has no country) is a 422 naming `field`."""
    if not raw:
        return None
    import phonenumbers  # only the booking paths parse phones

    try:
        number = phonenumbers.parse(raw, country)
    except phonenumbers.NumberParseException:
        raise ValidationFailed("not a phone number", fields={field: "not a phone number (+31 6 12345678)"}) from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationFailed("not a valid phone number", fields={field: "not a valid phone number"})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
