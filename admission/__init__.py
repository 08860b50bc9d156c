"""admission: offline-first ticketing and admission control for venues."""

__version__ = "0.1.0"
