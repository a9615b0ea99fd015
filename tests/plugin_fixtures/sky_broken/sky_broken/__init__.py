"""Test fixture: broken skycore plugins, one per module."""
