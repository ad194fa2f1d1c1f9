"""Reports of scan results: a self-contained HTML report (:func:`render_html`)."""

from poisonguard.detect.pipeline import set_report_writer
from poisonguard.report.html import highlight, histogram_svg, render_html, render_html_string

set_report_writer(render_html)  # scan(report=PATH) writes the HTML report

__all__ = ["highlight", "histogram_svg", "render_html", "render_html_string"]
