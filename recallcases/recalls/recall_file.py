"""What a recall file may hold (docs/recall-file.md), and the check that names every error in one.

Pure: no database; a picture the file names is read from the file's folder and decoded by the
photo pipeline, to be sure it is one. The fields, their types, lengths, choices and validators are
read from the `Recall`, `Product` and `ProofItem` models, so a field added to a model is a field of
the file, checked the same way; only what a model cannot say (the shape of its JSON fields, the
range of serial lengths, rules across fields) is written here.
"""

import datetime
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from recallcases.core.photo_pipeline import PhotoRejected, ProcessedPhoto, process_photo
from recallcases.recalls.models import (
    PROOF_ITEMS_MAX,
    Country,
    Issue,
    Product,
    ProofItem,
    Recall,
    Remedy,
    RemedyOffer,
    default_languages,
    language_suffix,
)

# A serial shorter than this is no serial; a longer one would not fit a registry entry's prefix.
SERIAL_LENGTH_MIN, SERIAL_LENGTH_MAX = 4, 40
# The languages a recall may be offered in: the site's (settings.LANGUAGES); their field suffixes.
LANGUAGE_CODES = [code for code, _name in settings.LANGUAGES]
LANGUAGE_NAMES = dict(settings.LANGUAGES)
LANGUAGE_SUFFIXES = tuple(dict.fromkeys(language_suffix(code) for code in LANGUAGE_CODES))
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_CAPITALS = re.compile(r"[A-Z]*")


class RecallFileInvalid(ValidationError):
    """A recall file with errors, each under its field's path (`products[1].serial_length`)."""

    def lines(self) -> list[str]:
        """Every error, one a line: "path: message"."""
        return [
            f"{path}: {message}" if path else message
            for path, messages in self.message_dict.items()
            for message in messages
        ]


def loadable_fields(model: type[models.Model]) -> dict[str, models.Field]:
    """The fields a file may give for `model`, by name: all but the key, links and timestamps."""
    return {
        field.name: field
        for field in model._meta.concrete_fields
        if field.editable and not field.primary_key and not field.is_relation
    }


def is_required(field: models.Field) -> bool:
    """Whether a file must give `field`: it may not be blank and has no default that is not."""
    if field.blank:
        return False
    return not field.has_default() or field.get_default() in field.empty_values


def _names(values) -> str:
    return ", ".join(str(value) for value in values)


def _shown(value: Any) -> str:
    """A value as the file wrote it, cut short."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 40 else f"{text[:37]}..."


def _list_of(
    choices: list[str] | None, what: str, *, unique: bool = False
) -> Callable[[Any], list[str]]:
    """A check of a JSON list of strings, each one of `choices` when given."""

    def check(value: Any) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            return ['must be a list of texts, e.g. ["' + (choices or ["A3102016"])[0] + '"]']
        errors = []
        if choices is not None:
            allowed = _names(choices)
            errors += [
                f'"{item}" is not {what} ({allowed})' for item in value if item not in choices
            ]
        if unique:
            seen: set[str] = set()
            for item in value:
                if item.upper() in seen:
                    errors.append(f'"{item}" is given twice')
                seen.add(item.upper())
        return errors

    return check


def _text_to_text(value: Any) -> list[str]:
    if not isinstance(value, dict) or not all(
        isinstance(key, str) and isinstance(text, str) for key, text in value.items()
    ):
        return ['must be an object of texts, e.g. {"CPSC": "25-123"}']
    return []


def _business_days(value: Any) -> list[str]:
    if not isinstance(value, dict) or not all(
        isinstance(key, str) and isinstance(days, int) and not isinstance(days, bool)
        for key, days in value.items()
    ):
        return [
            'must be an object of whole numbers, e.g. {"verified": 5, "replacement_shipped": 10}'
        ]
    return [
        f'"{key}": {days} is not from 1 to 365'
        for key, days in value.items()
        if not 1 <= days <= 365
    ]


def _tracking_urls(value: Any) -> list[str]:
    example = '{"UPS": "https://www.ups.com/track?tracknum={tracking}"}'
    if not isinstance(value, dict) or not all(
        isinstance(key, str) and isinstance(url, str) for key, url in value.items()
    ):
        return [f"must be an object of addresses, e.g. {example}"]
    return [
        f'"{carrier}": {_shown(url)} is not an https:// address with {{tracking}} in it'
        for carrier, url in value.items()
        if not url.startswith("https://") or "{tracking}" not in url
    ]


_AMOUNT = re.compile(r"\d{1,7}(\.\d{2})?")
_CURRENCY = re.compile(r"[A-Z]{3}")
OFFER_FIELDS = ("remedy", "label_en", "label_fr", "label_es", "value", "currency", "pool_low_at")
OFFER_LABEL_MAX_LENGTH = 100


def _offer_errors(index: int, item: Any) -> list[str]:
    """What is wrong with one remedy offer (an object, or a remedy's code alone)."""
    where = f"remedies[{index}]"
    if isinstance(item, str):
        if item not in Remedy.values:
            return [f'"{item}" is not a remedy this program offers ({_names(Remedy.values)})']
        item = {"remedy": item}
    if not isinstance(item, dict):
        return [f'{where} must be an object, e.g. {{"remedy": "gift_card", "value": "30.00"}}']
    errors = [
        f"{where}.{name}: unknown field (an offer has {_names(OFFER_FIELDS)})"
        for name in item
        if name not in OFFER_FIELDS
    ]
    remedy = item.get("remedy")
    if remedy not in Remedy.values:
        errors.append(
            f"{where}.remedy: {_shown(remedy)} is not a remedy this program offers "
            f"({_names(Remedy.values)})"
        )
        return errors
    for name in ("label_en", "label_fr", "label_es", "value", "currency"):
        if name in item and not isinstance(item[name], str):
            errors.append(f"{where}.{name}: must be a text, not {_shown(item[name])}")
    if errors:
        return errors
    for name in ("label_en", "label_fr", "label_es"):
        if len(item.get(name, "")) > OFFER_LABEL_MAX_LENGTH:
            errors.append(f"{where}.{name}: at most {OFFER_LABEL_MAX_LENGTH} characters")
    # A label in one language needs its English one (every text falls back to English); the
    # speaker recall gives English and French, a US recall English and Spanish.
    others = [name for name in ("label_fr", "label_es") if item.get(name, "").strip()]
    if others and not item.get("label_en", "").strip():
        errors.append(f"{where}: give label_en with {_names(others)}")
    value, currency = item.get("value", ""), item.get("currency", "")
    if value and not _AMOUNT.fullmatch(value):
        errors.append(f'{where}.value: "{value}" is not an amount written like "30.00"')
    if currency and not _CURRENCY.fullmatch(currency):
        errors.append(f'{where}.currency: "{currency}" is not a currency code like "USD"')
    if bool(value) != bool(currency):
        errors.append(f"{where}: give value and currency together")
    issued_by = RemedyOffer(remedy=remedy).issued_by
    if issued_by != Issue.SHIPMENT and not value:
        errors.append(f"{where}: a {remedy} needs its value and currency")
    low = item.get("pool_low_at", 0)
    if not isinstance(low, int) or isinstance(low, bool) or low < 0:
        errors.append(f"{where}.pool_low_at: must be a whole number of 0 or more")
    elif low and issued_by != Issue.CODE:
        errors.append(f"{where}.pool_low_at: only a gift card or voucher has a pool of codes")
    return errors


def remedy_offers_errors(value: Any) -> list[str]:
    """A check of `Recall.remedies`: at least one offer, each remedy once."""
    if not isinstance(value, list) or not value:
        return ['must be a list of at least one remedy, e.g. ["replacement"]']
    errors = []
    seen: set[str] = set()
    for index, item in enumerate(value):
        problems = _offer_errors(index, item)
        errors += problems
        if problems:
            continue
        remedy = item.get("remedy") if isinstance(item, dict) else item
        if remedy in seen:
            errors.append(f'"{remedy}" is offered twice')
        seen.add(remedy)
    return errors


# The shapes of the models' JSON fields, which the models cannot say.
JSON_SHAPES: dict[tuple[type[models.Model], str], Callable[[Any], list[str]]] = {
    (Recall, "countries"): _list_of(Country.values, "a country this program serves", unique=True),
    (Recall, "remedies"): remedy_offers_errors,
    (Recall, "regulator_references"): _text_to_text,
    (Recall, "promised_business_days"): _business_days,
    (Recall, "tracking_urls"): _tracking_urls,
    (Recall, "languages"): _list_of(LANGUAGE_CODES, "a language this program speaks", unique=True),
    (Product, "model_numbers"): _list_of(None, "", unique=True),
}


def _type_error(field: models.Field, value: Any) -> str | None:
    """Why `value` is not of `field`'s type in a JSON file, or None when it is."""
    if isinstance(field, models.BooleanField):
        return None if isinstance(value, bool) else f"must be true or false, not {_shown(value)}"
    if isinstance(field, models.IntegerField):
        if isinstance(value, int) and not isinstance(value, bool):
            return None
        return f"must be a whole number, not {_shown(value)}"
    if isinstance(field, models.DateField):
        if isinstance(value, datetime.date):
            return None
        if isinstance(value, str) and _ISO_DATE.fullmatch(value):
            try:
                datetime.date.fromisoformat(value)
            except ValueError:
                return f'"{value}" is not a date'
            return None
        return f"{_shown(value)} is not a date written YYYY-MM-DD, e.g. 2024-12-05"
    if isinstance(field, models.CharField | models.TextField | models.FileField):
        return None if isinstance(value, str) else f"must be a text, not {_shown(value)}"
    return None


class PictureInvalid(ValueError):
    """A picture of a recall file that cannot be used; the message says why."""


def picture_read(value: str, *, base_dir: Path | None) -> ProcessedPhoto:
    """The picture a recall file names by `value`, a path relative to the file's folder, checked
    and re-encoded by the photo pipeline (as a consumer's photo is), or PictureInvalid."""
    if base_dir is None:
        raise PictureInvalid("a picture is read from a file next to the recall file: load the file")
    relative = Path(value)
    if relative.is_absolute() or ".." in relative.parts or not value.strip():
        raise PictureInvalid(f'"{value}" must be a path relative to the recall file\'s folder')
    path = Path(base_dir) / relative
    if not path.is_file():
        raise PictureInvalid(f'"{value}": no such file next to the recall file')
    try:
        with path.open("rb") as file:
            return process_photo(file)
    except PhotoRejected as rejected:
        raise PictureInvalid(f'"{value}": {rejected}') from None


def _value_errors(
    model: type[models.Model], field: models.Field, value: Any, *, base_dir: Path | None = None
) -> list[str]:
    """What is wrong with `value` for `field`: its type, then its shape, choices and validators."""
    if (error := _type_error(field, value)) is not None:
        return [error]
    if isinstance(field, models.FileField):
        if not value:
            return []
        try:
            picture_read(value, base_dir=base_dir)
        except PictureInvalid as invalid:
            return [str(invalid)]
        return []
    shape = JSON_SHAPES.get((model, field.name))
    if shape is not None and (errors := shape(value)):
        return errors
    if field.choices:
        allowed = [choice for choice, _label in field.flatchoices]
        if value not in allowed and not (field.blank and value in field.empty_values):
            return [f'"{value}" is not one of: {_names(allowed)}']
    try:
        field.clean(value, None)
    except ValidationError as error:
        return list(error.messages)
    return []


def _object_errors(
    model: type[models.Model],
    data: Any,
    path: str,
    errors: dict[str, list[str]],
    *,
    base_dir: Path | None = None,
    languages: list[str],
) -> dict[str, Any]:
    """Check one object of the file against `model`'s fields; return its good values."""
    prefix = f"{path}." if path else ""
    if not isinstance(data, dict):
        errors.setdefault(path or "recall", []).append("must be an object of fields")
        return {}
    fields = loadable_fields(model)
    good: dict[str, Any] = {}
    for name, value in data.items():
        field = fields.get(name)
        if field is None:
            errors.setdefault(f"{prefix}{name}", []).append(
                f"unknown field (a {model._meta.verbose_name} has no such field)"
            )
            continue
        if problems := _value_errors(model, field, value, base_dir=base_dir):
            errors.setdefault(f"{prefix}{name}", []).extend(problems)
        else:
            good[name] = value
    for name, field in fields.items():
        if is_required(field) and name not in data:
            errors.setdefault(f"{prefix}{name}", []).append("missing (it is required)")
    _language_errors(fields, data, prefix, errors, languages=languages)
    return good


def _offered_languages(recall: Any) -> list[str]:
    """The languages the file's recall is offered in (its `languages`, when they are good)."""
    languages = recall.get("languages") if isinstance(recall, dict) else None
    if not isinstance(languages, list) or not languages:
        return default_languages()
    return [code for code in languages if code in LANGUAGE_CODES] or default_languages()


def _language_errors(
    fields: dict[str, models.Field],
    data: dict,
    prefix: str,
    errors: dict[str, list[str]],
    *,
    languages: list[str],
) -> None:
    """A text given in one language the recall is offered in must be given in all of them.

    A text in a language the recall does not offer is allowed (ready for the day it is offered)
    and never shown.
    """
    suffixes = list(dict.fromkeys(language_suffix(code) for code in languages))
    names = [str(LANGUAGE_NAMES[code]) for code in languages]
    offered = " and ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)
    bases = {
        name.rsplit("_", 1)[0]
        for name in fields
        if name.endswith(tuple(f"_{suffix}" for suffix in LANGUAGE_SUFFIXES))
    }
    for base in sorted(bases):
        names = [f"{base}_{suffix}" for suffix in suffixes]
        if not all(name in fields for name in names):
            continue
        given = [name for name in names if isinstance(data.get(name), str) and data[name].strip()]
        if not given:
            continue
        for name in names:
            if name not in given and not (name not in data and is_required(fields[name])):
                errors.setdefault(f"{prefix}{name}", []).append(
                    f"missing, though {given[0]} is given: this recall is offered in {offered}"
                )


# Addresses of the consumer pages that sit where a recall's slug would (/<lang>/<slug>/): a recall
# with one of these slugs could never be reached.
RESERVED_SLUGS = frozenset(
    {"check", "status", "preview", "unsubscribe", "photos", "workspace", "admin", "i18n", "verify"}
)


def _recall_rules(recall: dict, errors: dict[str, list[str]]) -> None:
    """Rules across a recall's fields."""
    if recall.get("slug") in RESERVED_SLUGS:
        errors.setdefault("slug", []).append(
            f'"{recall["slug"]}" is the address of another page; choose another slug'
        )
    pattern, example = recall.get("order_number_pattern"), recall.get("order_number_example")
    if pattern and example and not re.fullmatch(pattern, example, re.ASCII):
        errors.setdefault("order_number_example", []).append(
            f'"{example}" does not match order_number_pattern {pattern}'
        )
    affected, in_canada = recall.get("units_affected"), recall.get("units_affected_canada")
    if affected is not None and in_canada is not None and in_canada > affected:
        errors.setdefault("units_affected_canada", []).append(
            f"{in_canada} is more than units_affected ({affected})"
        )


def _product_rules(product: dict, path: str, errors: dict[str, list[str]]) -> None:
    """Rules a product's fields have that its model does not say."""
    length = product.get("serial_length")
    if length is not None and not SERIAL_LENGTH_MIN <= length <= SERIAL_LENGTH_MAX:
        errors.setdefault(f"{path}.serial_length", []).append(
            f"must be a whole number from {SERIAL_LENGTH_MIN} to {SERIAL_LENGTH_MAX}"
        )
    letters = product.get("serial_excluded_letters")
    if letters and not _CAPITALS.fullmatch(letters):
        errors.setdefault(f"{path}.serial_excluded_letters", []).append(
            f'"{letters}" must be capital letters only, e.g. "OI"'
        )


def _model_number_errors(products: list[dict], errors: dict[str, list[str]]) -> None:
    """A model or model number names one product only (the registry finds products by them)."""
    owner: dict[str, int] = {}
    for index, product in enumerate(products):
        names = [("model", product["model"])] if "model" in product else []
        names += [("model_numbers", number) for number in product.get("model_numbers", [])]
        for field, name in names:
            first = owner.setdefault(name.upper(), index)
            if first != index:
                errors.setdefault(f"products[{index}].{field}", []).append(
                    f'"{name}" is already a model or model number of products[{first}]'
                )


def _serial_example_errors(
    recall: dict, products: list[dict], errors: dict[str, list[str]]
) -> None:
    """The example serial shown as help has the shape of a product's serials."""
    example = recall.get("serial_example")
    default = Product._meta.get_field("serial_length").get_default()
    lengths = {product.get("serial_length", default) for product in products}
    if example and len(example) not in lengths:
        errors.setdefault("serial_example", []).append(
            f'"{example}" has {len(example)} characters; the products\' serials have '
            f"{_names(sorted(lengths))}"
        )


def _proof_items_errors(
    items: Any, errors: dict[str, list[str]], base_dir: Path | None, *, languages: list[str]
) -> None:
    """The photos a claim needs: each a proof item, codes unique, at least one required."""
    if not isinstance(items, list) or not 1 <= len(items) <= PROOF_ITEMS_MAX:
        errors.setdefault("proof_items", []).append(
            f"must be a list of 1 to {PROOF_ITEMS_MAX} proof items (the photos a claim needs)"
        )
        return
    seen: dict[str, int] = {}
    good_items = []
    for index, item in enumerate(items):
        path = f"proof_items[{index}]"
        good = _object_errors(ProofItem, item, path, errors, base_dir=base_dir, languages=languages)
        good_items.append(good)
        code = good.get("code")
        if code is not None:
            if code in seen:
                errors.setdefault(f"{path}.code", []).append(
                    f'"{code}" is already the code of proof_items[{seen[code]}]'
                )
            seen.setdefault(code, index)
    if all(isinstance(item, dict) for item in items) and not any(
        good.get("required", True) for good in good_items
    ):
        errors.setdefault("proof_items", []).append(
            "at least one proof item must be required: a claim needs a photo"
        )


def recall_file_check(data: Any, *, base_dir: Path | None = None) -> None:
    """Check a whole recall file; raise RecallFileInvalid naming every error with its field.

    `base_dir` is the folder of the file, where the pictures it names are read from.
    """
    errors: dict[str, list[str]] = {}
    if not isinstance(data, dict):
        raise RecallFileInvalid({"": ['must be an object with "recall" and "products"']})
    for name in data:
        if name not in ("recall", "products", "proof_items"):
            errors.setdefault(name, []).append(
                'unknown field at the top of the file (a file has "recall", "products" and '
                'optionally "proof_items")'
            )
    recall: dict[str, Any] = {}
    languages = _offered_languages(data.get("recall"))
    if "recall" not in data:
        errors.setdefault("recall", []).append("missing (it is required)")
    else:
        recall = _object_errors(Recall, data["recall"], "", errors, languages=languages)
        _recall_rules(recall, errors)
    products = data.get("products")
    good_products = []
    if not isinstance(products, list) or not products:
        errors.setdefault("products", []).append("must be a list of at least one product")
    else:
        for index, product in enumerate(products):
            path = f"products[{index}]"
            good = _object_errors(
                Product, product, path, errors, base_dir=base_dir, languages=languages
            )
            _product_rules(good, path, errors)
            good_products.append(good)
        _model_number_errors(good_products, errors)
        if not any(path.endswith(".serial_length") for path in errors):
            _serial_example_errors(recall, good_products, errors)
    if "proof_items" in data:
        _proof_items_errors(data["proof_items"], errors, base_dir, languages=languages)
    if errors:
        raise RecallFileInvalid(errors)
