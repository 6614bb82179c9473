"""solarb operator: kopf handlers reconciling ArbStrategy and VenueAdapter resources."""
