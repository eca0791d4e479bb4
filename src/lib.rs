//! prepush-auth as a library: the modules behind the `prepush-auth` binary.
//!
//! The binary (`main.rs`) is the product; this crate root exists so that
//! the fuzz targets in `fuzz/` can drive the parsers directly. It is not a
//! stable API.

pub mod accounts;
pub mod app;
pub mod cli;
pub mod completions;
pub mod config;
pub mod credential;
pub mod engine;
pub mod git;
pub mod helper;
pub mod helpers;
pub mod hook;
pub mod http;
pub mod included;
pub mod install;
pub mod output;
pub mod provider;
pub mod providers;
pub mod secret;
pub mod ssh;
pub mod ssh_entry;
pub mod ssh_words;
pub mod state;
pub mod status;
pub mod target;
pub mod tokens;
pub mod verdict;
