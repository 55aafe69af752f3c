//! Devices and their mountpoints (3.4): the `Jotta` device's are built in;
//! other devices may have any.

use std::collections::BTreeMap;

use super::{Device, Folder, Store};
use crate::errors::{Fail, Res};
use crate::names::fold;

impl Store {
    pub fn create_device(&mut self, name: &str, dtype: &str, now: i64) -> Res<()> {
        self.check_writable()?;
        self.devices.entry(fold(name)).or_insert_with(|| Device {
            name: name.to_string(),
            dtype: dtype.to_string(),
            sid: uuid::Uuid::new_v4().to_string(),
            modified: now,
            mountpoints: BTreeMap::new(),
        });
        Ok(())
    }

    pub fn create_mountpoint(&mut self, dev: &str, name: &str, now: i64) -> Res<()> {
        self.check_writable()?;
        let d = self.devices.get_mut(&fold(dev)).ok_or_else(|| Fail::not_found(format!("no device {dev}")))?;
        if d.mountpoints.contains_key(&fold(name)) {
            return Ok(());
        }
        if d.dtype == "JOTTA" {
            return Err(Fail::denied("custom mountpoints not allowed on Jotta"));
        }
        d.mountpoints.insert(fold(name), Folder::new(name, now));
        d.modified = now;
        Ok(())
    }
}
