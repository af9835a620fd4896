//! The report as one self-contained HTML page (inline CSS and SVG, no
//! scripts, no remote content), from a minijinja template with HTML
//! auto-escaping.

use crate::view::View;
use crate::ReportError;
use minijinja::{Environment, Value};

const TEMPLATE: &str = include_str!("../templates/report.html");

fn template_error(e: minijinja::Error) -> ReportError {
    ReportError::Template(e.to_string())
}

/// Renders the view as HTML.
pub(crate) fn render(view: &View) -> Result<String, ReportError> {
    let mut env = Environment::new();
    env.add_template("report.html", TEMPLATE)
        .map_err(template_error)?;
    env.get_template("report.html")
        .map_err(template_error)?
        .render(Value::from_serialize(view))
        .map_err(template_error)
}
