//! The provider's acceptance tests: the real Terraform CLI driving the
//! freshly built provider against the emulator. One test binary, so that the
//! harness is compiled and the binary linked once, not once per file (each
//! link pulls in every AWS SDK client); nextest still runs every test in a
//! process of its own.

mod support;

mod acceptance;
mod apparatus;
mod credentials;
mod drift;
mod examples;
mod faults;
mod import;
mod invalid;
mod kills;
mod live;
mod migration;
mod pause;
mod quotas;
mod relay;
mod switchover;
