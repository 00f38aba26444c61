"""The people and products scenarios talk about, generated from the run's seed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from faker import Generator
from faker.providers.person.en_US import Provider as PersonProvider
from pydantic import BaseModel, ConfigDict

from .errors import UnknownName
from .files import load_model
from .ids import Ids


@dataclass(frozen=True)
class Shopper:
    """A person in a scenario, with the ids an app would know them by."""

    role: str
    user_id: str
    email: str
    first_name: str
    last_name: str

    @classmethod
    def generate(cls, role: str, ids: Ids) -> Shopper:
        """Make a shopper whose details follow from the run's seed."""
        # Only the person provider: a whole Faker loads two dozen (0.7 ms).
        generator = Generator()
        generator.seed_instance(ids.child(f"shopper/{role}").hex(8))
        names = PersonProvider(generator)
        first, last = names.first_name(), names.last_name()
        user_id = f"u-{ids.child(f'uid/{role}').hex(6)}"
        email = f"{first}.{last}.{user_id[2:6]}@example.com".lower()
        return cls(role, user_id, email, first, last)


class Product(BaseModel):
    """A catalog product, with the properties the shop's events carry."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sku: str
    name: str
    price: float
    currency: str = "USD"

    def properties(self) -> dict[str, Any]:
        """Return the product's event properties."""
        return {
            "sku": self.sku,
            "name": self.name,
            "price": self.price,
            "currency": self.currency,
        }

    def cart_properties(self, qty: int = 1) -> dict[str, Any]:
        """Return cart event properties: the product and the cart's items."""
        item = {**self.properties(), "qty": qty}
        return {**item, "items": [item], "cart_total": round(self.price * qty, 2)}


class Catalog(BaseModel):
    """The products a scenario can buy, from ``fixtures/catalog.yaml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    products: dict[str, Product]

    def __getitem__(self, key: str) -> Product:
        if key not in self.products:
            raise UnknownName("product", key, self.products)
        return self.products[key]


def load_catalog(path: Path) -> Catalog:
    """Load the catalog file."""
    return load_model(path, Catalog)
