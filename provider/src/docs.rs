//! Documentation generated from the schema's markdown descriptions, in the
//! registry layout (`docs/index.md`, `docs/resources/<name>.md`).

use std::fmt::Write;

use tf_provider::schema::{
    Attribute, AttributeConstraint, AttributeType, Block, NestedBlock, Schema,
};

fn type_name(kind: &AttributeType) -> String {
    match kind {
        AttributeType::String => "String".into(),
        AttributeType::Number => "Number".into(),
        AttributeType::Bool => "Boolean".into(),
        AttributeType::List(inner) => format!("List of {}", type_name(inner)),
        AttributeType::Set(inner) => format!("Set of {}", type_name(inner)),
        AttributeType::Map(inner) => format!("Map of {}", type_name(inner)),
        AttributeType::Object(fields) => {
            let mut names: Vec<&String> = fields.keys().collect();
            names.sort();
            format!(
                "Object ({})",
                names
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
        _ => "Dynamic".into(),
    }
}

fn section(out: &mut String, title: &str, attributes: &[(&String, &Attribute)]) {
    if attributes.is_empty() {
        return;
    }
    let _ = writeln!(out, "{title}\n");
    for (name, attribute) in attributes {
        let sensitive = if attribute.sensitive {
            ", Sensitive"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "- `{name}` ({}{sensitive}) {}",
            type_name(&attribute.attr_type),
            attribute.description.content.trim()
        );
    }
    out.push('\n');
}

fn block_docs(out: &mut String, block: &Block, heading: &str) {
    let mut attributes: Vec<(&String, &Attribute)> = block.attributes.iter().collect();
    attributes.sort_by(|a, b| a.0.cmp(b.0));
    let of = |c: fn(&AttributeConstraint) -> bool| -> Vec<(&String, &Attribute)> {
        attributes
            .iter()
            .filter(|(_, a)| c(&a.constraint))
            .copied()
            .collect()
    };
    section(
        out,
        &format!("{heading}Required"),
        &of(|c| matches!(c, AttributeConstraint::Required)),
    );
    section(
        out,
        &format!("{heading}Optional"),
        &of(|c| {
            matches!(
                c,
                AttributeConstraint::Optional | AttributeConstraint::OptionalComputed
            )
        }),
    );
    section(
        out,
        &format!("{heading}Read-Only"),
        &of(|c| matches!(c, AttributeConstraint::Computed)),
    );
    let mut blocks: Vec<(&String, &NestedBlock)> = block.blocks.iter().collect();
    blocks.sort_by(|a, b| a.0.cmp(b.0));
    for (name, nested) in blocks {
        let (inner, cardinality) = match nested {
            NestedBlock::Single(b) => (b, "exactly one, required"),
            NestedBlock::Optional(b) => (b, "at most one"),
            NestedBlock::List(b) => (b, "any number"),
            NestedBlock::Set(b) => (b, "any number"),
            _ => continue,
        };
        let _ = writeln!(
            out,
            "### Nested block `{name}` ({cardinality})\n\n{}\n",
            inner.description.content.trim()
        );
        block_docs(out, inner, &format!("#### `{name}` "));
    }
}

/// The page of a resource.
pub fn resource_page(
    provider: &str,
    key: &str,
    schema: &Schema,
    example: &str,
    import: &str,
) -> String {
    let mut out = format!(
        "---\npage_title: \"{provider}_{key} Resource - terraform-provider-{provider}\"\nsubcategory: \"\"\ndescription: |-\n  {}\n---\n\n# {provider}_{key} (Resource)\n\n{}\n\n## Example Usage\n\n```terraform\n{}\n```\n\n## Schema\n\n",
        schema
            .block
            .description
            .content
            .lines()
            .next()
            .unwrap_or_default(),
        schema.block.description.content.trim(),
        example.trim()
    );
    block_docs(&mut out, &schema.block, "### ");
    if !import.trim().is_empty() {
        let _ = write!(
            out,
            "## Import\n\nImport is supported using the following syntax:\n\n```shell\n{}\n```\n",
            import.trim()
        );
    }
    out
}

/// The provider's index page.
pub fn index_page(provider: &str, schema: &Schema, example: &str, extra: &str) -> String {
    let mut out = format!(
        "---\npage_title: \"{provider} Provider\"\nsubcategory: \"\"\ndescription: |-\n  {}\n---\n\n# {provider} Provider\n\n{}\n\n## Example Usage\n\n```terraform\n{}\n```\n\n{}\n\n## Schema\n\n",
        schema
            .block
            .description
            .content
            .lines()
            .next()
            .unwrap_or_default(),
        schema.block.description.content.trim(),
        example.trim(),
        extra.trim()
    );
    block_docs(&mut out, &schema.block, "### ");
    out
}
