//! Every statement kind, written for PostgreSQL, MySQL/MariaDB and SQLite
//! side by side.

use super::*;
