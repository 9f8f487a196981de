//! A small XML tree, enough for Route 53's request and response bodies.

use anyhow::{Result, bail};
use quick_xml::Reader;
use quick_xml::events::Event;

/// An element: its local name, its text, and its children.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Element {
    /// The local name (no namespace prefix).
    pub name: String,
    /// The concatenated text directly inside the element, unescaped.
    pub text: String,
    /// Child elements in order.
    pub children: Vec<Element>,
}

impl Element {
    /// The first child called `name`.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// All children called `name`.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The text of the first child called `name`.
    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.as_str())
    }

    /// Follows a path of child names.
    pub fn path(&self, names: &[&str]) -> Option<&Element> {
        names.iter().try_fold(self, |e, n| e.child(n))
    }
}

/// Parses a document into its root element.
pub fn parse(input: &str) -> Result<Element> {
    let mut reader = Reader::from_str(input);
    let mut stack: Vec<Element> = Vec::new();
    loop {
        match reader.read_event()? {
            Event::Start(start) => stack.push(Element {
                name: String::from_utf8_lossy(start.local_name().as_ref()).into_owned(),
                ..Element::default()
            }),
            Event::Empty(start) => {
                let element = Element {
                    name: String::from_utf8_lossy(start.local_name().as_ref()).into_owned(),
                    ..Element::default()
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(element),
                    None => return Ok(element),
                }
            }
            Event::Text(text) => {
                if let Some(current) = stack.last_mut() {
                    current.text.push_str(&text.decode()?);
                }
            }
            Event::GeneralRef(reference) => {
                if let Some(current) = stack.last_mut() {
                    let name = reference.decode()?;
                    let resolved = match name.as_ref() {
                        "amp" => "&".to_owned(),
                        "lt" => "<".to_owned(),
                        "gt" => ">".to_owned(),
                        "quot" => "\"".to_owned(),
                        "apos" => "'".to_owned(),
                        other => match reference.resolve_char_ref()? {
                            Some(c) => c.to_string(),
                            None => format!("&{other};"),
                        },
                    };
                    current.text.push_str(&resolved);
                }
            }
            Event::CData(data) => {
                if let Some(current) = stack.last_mut() {
                    current.text.push_str(&String::from_utf8_lossy(&data));
                }
            }
            Event::End(_) => {
                let done = stack.pop().unwrap_or_default();
                match stack.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => return Ok(done),
                }
            }
            Event::Eof => bail!("the XML document ends before its root element closes"),
            _ => {}
        }
    }
}

/// Escapes text for XML.
pub fn escape(text: &str) -> String {
    quick_xml::escape::escape(text).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_nested_text_and_entities() {
        let root = parse(
            r#"<?xml version="1.0"?><A xmlns="x"><B>one &amp; two</B><B/><C><D>&quot;q&quot;</D></C></A>"#,
        )
        .unwrap();
        assert_eq!(root.name, "A");
        assert_eq!(root.children_named("B").count(), 2);
        assert_eq!(root.child_text("B"), Some("one & two"));
        assert_eq!(
            root.path(&["C", "D"]).map(|e| e.text.as_str()),
            Some("\"q\"")
        );
        assert!(parse("<A><B></A>").is_err());
    }
}
