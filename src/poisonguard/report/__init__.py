"""Reports of scan results: a self-contained HTML report (:func:`render_html`)."""

from poisonguard.report.html import highlight, histogram_svg, render_html, render_html_string

__all__ = ["highlight", "histogram_svg", "render_html", "render_html_string"]
