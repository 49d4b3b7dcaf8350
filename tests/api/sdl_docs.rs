//! Every type and field of `schema.graphql` has a description: they are what gateway
//! users and frontend developers read in their tools.
//!
//! Exempt are what this project does not write: scalars, federation's own types, and the
//! connection types async-graphql generates (`…Connection`, whose fields are described).

/// Definitions (`type X`, `input X`, …) and fields without a `"""` description right above.
fn undocumented(sdl: &str) -> Vec<String> {
    let lines: Vec<&str> = sdl.lines().collect();
    let mut missing = Vec::new();
    let mut current = String::new();
    for (index, line) in lines.iter().enumerate() {
        let trimmed = line.trim();
        if ["directive ", "extend ", "schema"]
            .iter()
            .any(|k| line.starts_with(k))
        {
            current.clear();
            continue;
        }
        let documented = index > 0 && lines[index - 1].trim() == "\"\"\"";
        let keyword = ["type ", "interface ", "enum ", "input ", "union "]
            .iter()
            .find(|k| trimmed.starts_with(*k));
        if let Some(keyword) = keyword {
            current = trimmed[keyword.len()..]
                .split([' ', '{'])
                .next()
                .unwrap_or_default()
                .to_owned();
            let exempt = current.starts_with('_') || current.ends_with("Connection");
            if !documented && !exempt {
                missing.push(format!("type {current}"));
            }
            continue;
        }
        let is_member = line.starts_with('\t') && !trimmed.is_empty() && trimmed != "\"\"\"";
        let inside_description = lines[..index]
            .iter()
            .rev()
            .take_while(|l| l.starts_with('\t'))
            .filter(|l| l.trim() == "\"\"\"")
            .count()
            % 2
            == 1;
        let exempt = current.is_empty() || current.starts_with('_');
        if is_member && !inside_description && !documented && !exempt {
            let name = trimmed.split(['(', ':', ' ']).next().unwrap_or_default();
            missing.push(format!("{current}.{name}"));
        }
    }
    missing
}

#[test]
fn every_type_and_field_in_the_sdl_is_documented() {
    let missing = undocumented(include_str!("../../schema.graphql"));
    assert!(
        missing.is_empty(),
        "undocumented in schema.graphql: {missing:#?}"
    );
}

#[test]
fn the_check_finds_what_is_missing() {
    let sdl = "\"\"\"\nDocumented.\n\"\"\"\ntype A {\n\t\"\"\"\n\tFine.\n\t\"\"\"\n\tok: Int\n\tbare: Int\n}\n\ntype B {\n\t\"\"\"\n\tFine.\n\t\"\"\"\n\tok: Int\n}\n";
    assert_eq!(
        undocumented(sdl),
        vec!["A.bare".to_owned(), "type B".to_owned()]
    );
}
