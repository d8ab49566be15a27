#![doc = include_str!("../README.md")]

pub mod app;
pub mod cli;
pub mod config;
pub mod db;
pub mod devnet;
pub mod genesis;
pub mod glue;
pub mod keyring;
pub mod metrics;
pub mod query;
pub mod query_wasm;
pub mod rpc;
pub mod secret_store;
pub mod valset;
