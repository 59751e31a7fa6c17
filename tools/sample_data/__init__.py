"""Deterministic sample data in the landing-file contract; see `generate`."""

from tools.sample_data.behaviour import BehaviourParams, simulate_purchases
from tools.sample_data.files import OUTPUT_FORMATS
from tools.sample_data.generate import generate, hold_back_day, main

__all__ = ["OUTPUT_FORMATS", "BehaviourParams", "generate", "hold_back_day", "main", "simulate_purchases"]
