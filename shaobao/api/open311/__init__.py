"""Open311 GeoReport v2 (`/open311/v2/`, JSON only): the duty list as services, demands as requests.

`selectors.py` reads (services, the public view of requests), `actions.py` receives a request through
`intake.actions.do_receive_demand`, `views.py` only parses and renders. See docs/open311.md.
"""
