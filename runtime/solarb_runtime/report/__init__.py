"""`solarb report`: a journal turned into figures, markdown, HTML and PNG plots."""
