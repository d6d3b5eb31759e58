use crate::finding::{Finding, FixIntent, ObjectKind};
use crate::rule::{Context, Rule, RuleMeta};
use crate::rules::json;

declare_rule! {
    ColumnOrder {
        id: "column-order",
        summary: "The columns a table shares with the expected side are in a different order.",
        rationale: "Column order is not drift by default: it changes nothing for code that names its columns. Enable this rule when something depends on it (`SELECT *`, `INSERT` without a column list, `COPY`).",
        severity: Warning,
        enabled: false,
        example: "-- expected\nCREATE TABLE users (id integer, email text, name text);\n-- actual\nCREATE TABLE users (id integer, name text, email text);",
        fix: "None automatic: reordering columns means rebuilding the table; do it in a migration if it matters.",
    }
}

impl Rule for ColumnOrder {
    fn meta(&self) -> &RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let diff = cx.diff();
        // Columns of one table are consecutive in the diff: walk them in
        // groups, comparing relative positions of the shared ones.
        let mut shared: Vec<(u32, u32, &str)> = Vec::new();
        let columns = diff.columns();
        let mut start = 0;
        for entry in diff.tables() {
            let Some((_, a)) = entry.both() else {
                continue;
            };
            while start < columns.len() && columns[start].table != Some(a.name) {
                start += 1;
            }
            shared.clear();
            let mut i = start;
            while i < columns.len()
                && columns[i].table == Some(a.name)
                && columns[i].schema == entry.schema
            {
                if let Some((ec, ac)) = columns[i].both() {
                    shared.push((ec.def.position, ac.def.position, ac.name));
                }
                i += 1;
            }
            start = i;
            shared.sort_unstable();
            if shared.windows(2).all(|w| w[0].1 < w[1].1) {
                continue;
            }
            let want: Vec<&str> = shared.iter().map(|c| c.2).collect();
            let mut by_actual = shared.clone();
            by_actual.sort_unstable_by_key(|c| (c.1, c.0));
            let have: Vec<&str> = by_actual.iter().map(|c| c.2).collect();
            out.push(
                Finding::new(
                    &Self::META,
                    entry.object(ObjectKind::Table),
                    format!(
                        "columns of table {}.{} are in order ({}) but ({}) is expected",
                        entry.schema,
                        a.name,
                        have.join(", "),
                        want.join(", ")
                    ),
                    FixIntent::Manual,
                )
                .values(json(&want), json(&have))
                .hint("rebuild the table in a migration if column order matters, or leave this rule off"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ColumnOrder;
    use crate::rules::testing::*;
    use driftless_model::Column;

    #[test]
    fn finds_reordered_columns() {
        let mut actual = fixture();
        column(&mut actual, "users", "email").position = 3;
        column(&mut actual, "users", "name").position = 2;
        let findings = run_pair(&ColumnOrder, &fixture(), &actual);
        let f = only(&findings, "column-order", "public.users");
        assert_eq!(
            f.message,
            "columns of table public.users are in order (id, name, email, active, created_at) but (id, email, name, active, created_at) is expected"
        );
        assert_eq!(f.fix, crate::FixIntent::Manual);
        const { assert!(!ColumnOrder::META.enabled_by_default) };
    }

    #[test]
    fn finds_nothing_when_only_extra_columns_shift_positions() {
        let mut actual = fixture();
        let users = table(&mut actual, "users");
        for c in users.columns.values_mut() {
            c.position += 1;
        }
        users
            .columns
            .insert("avatar".into(), Column::new(1, "text"));
        assert!(run_pair(&ColumnOrder, &fixture(), &actual).is_empty());
    }
}
