//! DefaultBinder: binds the pod through the API server's binding subresource
//! (`pkg/scheduler/framework/plugins/defaultbinder/default_binder.go`). The scheduler writes
//! the binding to the store once a Bind plugin returns Success.

use super::names;
use crate::api::pod::Pod;
use crate::api::scheduler_config::ExtensionPoint;
use crate::scheduler::cache::NodeInfo;
use crate::scheduler::framework::{BindPlugin, Plugin, Status};

/// The plugin.
#[derive(Debug, Default)]
pub struct DefaultBinder;

impl Plugin for DefaultBinder {
    fn name(&self) -> &str {
        names::DEFAULT_BINDER
    }
    /// Upstream's points (`pkg/scheduler/framework/plugins/defaultbinder/default_binder.go`).
    fn extends(&self) -> Option<&'static [ExtensionPoint]> {
        Some(&[ExtensionPoint::Bind])
    }
    fn as_bind(&mut self) -> Option<&mut dyn BindPlugin> {
        Some(self)
    }
}

impl BindPlugin for DefaultBinder {
    fn bind(&mut self, _pod: &Pod, _node: &NodeInfo) -> Status {
        Status::success()
    }
}
