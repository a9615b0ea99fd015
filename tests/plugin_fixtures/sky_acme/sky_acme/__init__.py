"""Test fixture: the Acme cloud, a third-party skycore plugin."""
