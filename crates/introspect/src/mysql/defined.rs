//! Triggers, routines and events of MySQL and MariaDB → [`DefinedObject`]s.
//! Pure.
//!
//! Each definition is a `CREATE` statement assembled from the catalog's
//! columns (never `SHOW CREATE`, which costs one query per object), in one
//! spelling, without what differs between two servers that ran the same
//! statements: no `DEFINER`, no schema qualifier on the object's own name
//! (the expected side lives in a scratch database of another name), no
//! `sql_mode`, and no event `STARTS` (it defaults to the moment of
//! creation). Defaults are left out (`NOT DETERMINISTIC`, `CONTAINS SQL`,
//! `SQL SECURITY DEFINER`), so an explicit default reads as an omitted one.
//!
//! * **Triggers**: ``CREATE TRIGGER `t_bi` BEFORE INSERT ON `t` FOR EACH ROW FOLLOWS `t_first` <statement>``;
//!   `FOLLOWS` names the trigger before it (same table, timing and event)
//!   when the server orders it second or later (`ACTION_ORDER`).
//! * **Routines**: ``CREATE PROCEDURE `p`(IN `a` int(11), OUT `b` varchar(20) CHARACTER SET latin1 COLLATE latin1_swedish_ci) MODIFIES SQL DATA SQL SECURITY INVOKER COMMENT 'x' <body>``;
//!   a parameter's (or result's) character set and collation are spelled
//!   out when they are not the database's at the routine's creation.
//!   MySQL has no overloads: the name alone identifies a routine.
//! * **Events**: ``CREATE EVENT `e` ON SCHEDULE EVERY 1 HOUR ENDS '…' ON COMPLETION PRESERVE DISABLE COMMENT 'x' DO <body>``.
//!
//! Comments are part of the definition (MySQL sets them in the `CREATE`
//! statement), so [`DefinedObject::comment`] stays `None`.
//!
//! Dependencies: a trigger depends on its table and on the trigger it
//! follows; every body depends on the tables, views and routines of its
//! schema that it names (any identifier of the body equal to their names).

use std::collections::{BTreeMap, BTreeSet};

use super::parse::{int, keys, non_empty, text, CatalogRows};
use crate::error::Result;
use crate::IntrospectOptions;
use driftless_model::sql::{tokens, unquote, TokenKind};
use driftless_model::{CatalogKind, DefinedObject, Dialect, ObjectKind, ObjectRef, Snapshot};

fn quote(name: &str) -> String {
    Dialect::Mysql.quote_ident(name)
}

fn literal(text: &str) -> String {
    Dialect::Mysql.quote_literal(text)
}

/// Reads every trigger, routine and event of the schemas read.
pub(super) fn add_objects(
    snap: &mut Snapshot,
    rows: &CatalogRows,
    options: &IntrospectOptions,
) -> Result<()> {
    let mut objects = triggers(&rows.triggers, options)?;
    objects.extend(routines(&rows.routines, &rows.parameters)?);
    objects.extend(events(&rows.events)?);
    objects.retain(|o| {
        o.schema
            .as_ref()
            .is_some_and(|s| snap.schemas.contains_key(s))
    });
    let names = Names::of(snap, &objects);
    for o in &mut objects {
        let found = names.named_in(o);
        for d in found {
            if !o.depends_on.contains(&d) {
                o.depends_on.push(d);
            }
        }
        o.depends_on.sort();
    }
    objects.sort();
    snap.objects = objects;
    Ok(())
}

/// Triggers. Columns: schema, name, table, timing, event, order, statement.
fn triggers(rows: &[crate::Row], options: &IntrospectOptions) -> Result<Vec<DefinedObject>> {
    type Slot = (String, String, String, String);
    let mut order: BTreeMap<Slot, Vec<(i64, String)>> = BTreeMap::new();
    let mut read = Vec::new();
    for row in rows {
        let [schema, name, table, timing, event] = keys(row, "TRIGGERS")?;
        if !options.wants_table(&table) {
            continue;
        }
        let position = int(row, 5).unwrap_or(1);
        let slot = (schema.clone(), table.clone(), timing.clone(), event.clone());
        order
            .entry(slot.clone())
            .or_default()
            .push((position, name.clone()));
        read.push((slot, name, position, text(row, 6).unwrap_or_default()));
    }
    let mut out = Vec::new();
    for ((schema, table, timing, event), name, position, statement) in read {
        let slot = (schema.clone(), table.clone(), timing.clone(), event.clone());
        let before = order.get(&slot).and_then(|list| {
            list.iter()
                .filter(|(p, _)| *p < position)
                .max()
                .map(|(_, n)| n.clone())
        });
        let follows = before
            .as_deref()
            .map(|b| format!(" FOLLOWS {}", quote(b)))
            .unwrap_or_default();
        let definition = format!(
            "CREATE TRIGGER {} {} {} ON {} FOR EACH ROW{follows} {}",
            quote(&name),
            timing.to_ascii_uppercase(),
            event.to_ascii_uppercase(),
            quote(&table),
            statement.trim()
        );
        let mut o = DefinedObject::new(CatalogKind::Trigger, Some(&schema), &name, definition);
        o.table = Some(table.clone());
        o.drop = format!("DROP TRIGGER {}", quote(&name));
        o.depends_on.push(ObjectRef::table(&schema, &table));
        if let Some(b) = before {
            o.depends_on.push(ObjectRef::table_part(
                ObjectKind::Trigger,
                &schema,
                &table,
                &b,
            ));
        }
        out.push(o);
    }
    Ok(out)
}

/// ` CHARACTER SET cs COLLATE c` when `collation` is set and is not the
/// database's `default`.
fn charset_clause(collation: Option<String>, default: Option<&str>) -> String {
    match collation {
        Some(c) if Some(c.as_str()) != default => format!(
            " CHARACTER SET {} COLLATE {c}",
            driftless_model::collation_charset(&c)
        ),
        _ => String::new(),
    }
}

/// Parameter lists by (schema, routine type, name). Columns: schema, name,
/// routine type, position, mode, parameter name, type, charset, collation.
type ParameterRows = BTreeMap<(String, String, String), Vec<Parameter>>;

/// One routine parameter.
struct Parameter {
    position: i64,
    /// `IN`, `OUT`, `INOUT` (procedures).
    mode: String,
    name: String,
    data_type: String,
    collation: Option<String>,
}

fn parameters(rows: &[crate::Row]) -> Result<ParameterRows> {
    let mut out: ParameterRows = BTreeMap::new();
    for row in rows {
        let [schema, routine, kind] = keys(row, "PARAMETERS")?;
        out.entry((schema, kind.to_ascii_uppercase(), routine))
            .or_default()
            .push(Parameter {
                position: int(row, 3).unwrap_or(0),
                mode: text(row, 4).unwrap_or_default().to_ascii_uppercase(),
                name: text(row, 5).unwrap_or_default(),
                data_type: text(row, 6).unwrap_or_default(),
                collation: non_empty(text(row, 8)),
            });
    }
    Ok(out)
}

/// Procedures and functions. Columns: schema, name, type, result type,
/// result charset, result collation, body, deterministic, data access,
/// security, comment, database collation.
fn routines(rows: &[crate::Row], parameter_rows: &[crate::Row]) -> Result<Vec<DefinedObject>> {
    let mut params = parameters(parameter_rows)?;
    let mut out = Vec::new();
    for row in rows {
        let [schema, name, kind] = keys(row, "ROUTINES")?;
        let kind = kind.to_ascii_uppercase();
        let function = kind == "FUNCTION";
        let database_collation = non_empty(text(row, 11));
        let mut list = params
            .remove(&(schema.clone(), kind.clone(), name.clone()))
            .unwrap_or_default();
        list.sort_by_key(|p| p.position);
        let args: Vec<String> = list
            .into_iter()
            .map(|p| {
                let mode = if function || p.mode.is_empty() {
                    String::new()
                } else {
                    format!("{} ", p.mode)
                };
                format!(
                    "{mode}{} {}{}",
                    quote(&p.name),
                    p.data_type,
                    charset_clause(p.collation, database_collation.as_deref())
                )
            })
            .collect();
        let mut definition = format!("CREATE {kind} {}({})", quote(&name), args.join(", "));
        if function {
            definition.push_str(&format!(
                " RETURNS {}{}",
                text(row, 3).unwrap_or_default(),
                charset_clause(non_empty(text(row, 5)), database_collation.as_deref())
            ));
        }
        definition.push_str(&characteristics(row));
        definition.push(' ');
        definition.push_str(text(row, 6).unwrap_or_default().trim());
        let catalog_kind = if function {
            CatalogKind::Function
        } else {
            CatalogKind::Procedure
        };
        let mut o = DefinedObject::new(catalog_kind, Some(&schema), &name, definition);
        o.drop = format!("DROP {kind} {}", quote(&name));
        out.push(o);
    }
    Ok(out)
}

/// ` DETERMINISTIC READS SQL DATA SQL SECURITY INVOKER COMMENT '…'`, each
/// only when it is not the default.
fn characteristics(row: &crate::Row) -> String {
    let mut out = String::new();
    if text(row, 7).is_some_and(|d| d.eq_ignore_ascii_case("YES")) {
        out.push_str(" DETERMINISTIC");
    }
    if let Some(access) =
        non_empty(text(row, 8)).filter(|a| !a.eq_ignore_ascii_case("CONTAINS SQL"))
    {
        out.push_str(&format!(" {}", access.to_ascii_uppercase()));
    }
    if text(row, 9).is_some_and(|s| s.eq_ignore_ascii_case("INVOKER")) {
        out.push_str(" SQL SECURITY INVOKER");
    }
    if let Some(comment) = non_empty(text(row, 10)) {
        out.push_str(&format!(" COMMENT {}", literal(&comment)));
    }
    out
}

/// Events. Columns: schema, name, type, execute at, interval value,
/// interval field, ends, status, on completion, comment, body.
fn events(rows: &[crate::Row]) -> Result<Vec<DefinedObject>> {
    let mut out = Vec::new();
    for row in rows {
        let [schema, name, event_type] = keys(row, "EVENTS")?;
        let schedule = if event_type.eq_ignore_ascii_case("ONE TIME") {
            format!("AT {}", literal(&text(row, 3).unwrap_or_default()))
        } else {
            let mut s = format!(
                "EVERY {} {}",
                text(row, 4).unwrap_or_default(),
                text(row, 5).unwrap_or_default()
            );
            if let Some(ends) = non_empty(text(row, 6)) {
                s.push_str(&format!(" ENDS {}", literal(&ends)));
            }
            s
        };
        let status = match text(row, 7)
            .unwrap_or_default()
            .to_ascii_uppercase()
            .as_str()
        {
            "ENABLED" => "ENABLE",
            "DISABLED" => "DISABLE",
            _ => "DISABLE ON SLAVE",
        };
        let completion = text(row, 8).unwrap_or_default().to_ascii_uppercase();
        let comment = non_empty(text(row, 9))
            .map(|c| format!(" COMMENT {}", literal(&c)))
            .unwrap_or_default();
        let definition = format!(
            "CREATE EVENT {} ON SCHEDULE {schedule} ON COMPLETION {completion} {status}{comment} DO {}",
            quote(&name),
            text(row, 10).unwrap_or_default().trim()
        );
        let mut o = DefinedObject::new(CatalogKind::Event, Some(&schema), &name, definition);
        o.drop = format!("DROP EVENT {}", quote(&name));
        out.push(o);
    }
    Ok(out)
}

/// What a body may name, by schema: tables and views (case kept), and
/// routines (case ignored, as MySQL compares routine names).
struct Names {
    relations: BTreeMap<(String, String), ObjectKind>,
    routines: BTreeMap<(String, String), ObjectRef>,
}

impl Names {
    fn of(snap: &Snapshot, objects: &[DefinedObject]) -> Names {
        let mut relations = BTreeMap::new();
        for (schema, s) in &snap.schemas {
            for t in s.tables.keys() {
                relations.insert((schema.clone(), t.clone()), ObjectKind::Table);
            }
            for v in s.views.keys() {
                relations.insert((schema.clone(), v.clone()), ObjectKind::View);
            }
        }
        let routines = objects
            .iter()
            .filter(|o| matches!(o.kind, CatalogKind::Function | CatalogKind::Procedure))
            .map(|o| {
                (
                    (o.schema.clone().unwrap_or_default(), o.name.to_lowercase()),
                    o.object(),
                )
            })
            .collect();
        Names {
            relations,
            routines,
        }
    }

    /// The tables, views and routines of `o`'s schema that its body names
    /// (not `o` itself).
    fn named_in(&self, o: &DefinedObject) -> BTreeSet<ObjectRef> {
        let schema = o.schema.clone().unwrap_or_default();
        let own = o.object();
        let mut found = BTreeSet::new();
        for t in tokens(&o.definition, Dialect::Mysql) {
            if !matches!(t.kind, TokenKind::Word | TokenKind::QuotedIdent) {
                continue;
            }
            let name = unquote(t.text).into_owned();
            match self.relations.get(&(schema.clone(), name.clone())) {
                Some(ObjectKind::View) => {
                    found.insert(ObjectRef::schema_object(
                        ObjectKind::View,
                        &schema,
                        Some(&name),
                    ));
                }
                Some(_) => {
                    found.insert(ObjectRef::table(&schema, &name));
                }
                None => {}
            }
            if let Some(r) = self.routines.get(&(schema.clone(), name.to_lowercase())) {
                if *r != own {
                    found.insert(r.clone());
                }
            }
        }
        found
    }
}
