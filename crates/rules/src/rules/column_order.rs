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
        for entry in cx.diff().tables() {
            let Some((e, a)) = entry.both() else {
                continue;
            };
            let shared = |order: Vec<&str>, other: &driftless_introspect::Table| -> Vec<String> {
                order
                    .into_iter()
                    .filter(|c| {
                        other.columns.contains_key(*c) && !driftless_introspect::is_quarantined(c)
                    })
                    .map(String::from)
                    .collect()
            };
            let want = shared(e.def.column_order(), a.def);
            let have = shared(a.def.column_order(), e.def);
            if want == have {
                continue;
            }
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
    use driftless_introspect::Column;

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
