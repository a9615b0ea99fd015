"""Provider protocols: what the core calls on the *selected* provider object.

These modules are the bottom layer of skycore: they import nothing else from the core except
:mod:`skycore.errors` and :mod:`skycore.features`, so a plugin depending on them stays light.
"""
