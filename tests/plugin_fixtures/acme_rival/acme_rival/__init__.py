"""Test fixture: a rival Acme plugin (conflicts with sky-acme on the cloud name)."""
