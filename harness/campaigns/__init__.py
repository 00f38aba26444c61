"""Campaigns declared in fixture files, and the engine that runs them."""

from .engine import CampaignEngine, Journey, Messenger, Rendered
from .spec import Campaign

__all__ = ["Campaign", "CampaignEngine", "Journey", "Messenger", "Rendered"]
