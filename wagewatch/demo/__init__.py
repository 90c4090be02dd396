"""The demo: a realistic, deterministic district (示范区) loaded through the services, so that every
row has its history. `python manage.py load_demo [--if-empty]` runs it.

Each module in `STEPS` (see loader.py) has `load(ctx)`; a later feature adds its demo data (cases in
every state, payroll, warnings…) as a new module appended to STEPS, reading what earlier steps left
in the shared `DemoContext`.
"""
