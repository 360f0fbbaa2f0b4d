"""The sales dashboard (/dashboard): the first page a director opens.

    services.py  the four panels' figures, each through the records' visibility filter
    views.py     the page; the chart data goes into a JSON data island drawn by static/dashboard.js
"""
