"""The demo's story, kept outside the core package.

Only the ``forwarder-insure demo`` command imports it, lazily, inside the command; nothing under
``forwarder_insure/``, ``blueprints/`` or ``jobs/`` imports it (tests/unit/test_layering_demo.py),
so the app itself never depends on demo data. The demo depends on the core, never the reverse.

- :mod:`demo.seed`: reference data (seller, underwriter, exchange rates), one API key per role and
  the console logins, all derived from the instance's secret key.
- :mod:`demo.claims_story`: a five-parcel order and four claims, made through the app's own API.
"""
