//! Account, devices and mountpoints (spec 2.10, 3).

use crate::client::Client;
use crate::error::{Error, Result};
use crate::http::Req;
use crate::model::{Customer, DeviceInfo, DriveInfo, MountPointInfo};
use crate::names::{escape_segment, validate_remote_name};
use crate::types::json::CustomerJson;
use crate::types::xml::{DeviceXml, MountPointXml, UserXml};

fn to_u64(v: Option<i64>) -> Option<u64> {
    v.filter(|x| *x >= 0).map(|x| x as u64)
}

fn device_from(d: DeviceXml) -> DeviceInfo {
    DeviceInfo {
        name: d.name,
        display_name: d.display_name,
        kind: d.kind,
        size: to_u64(d.size),
        sid: d.sid,
        modified: d.modified,
        mountpoints: d.mountpoints.into_iter().map(mp_from).collect(),
    }
}

fn mp_from(m: MountPointXml) -> MountPointInfo {
    MountPointInfo { name: m.name, size: to_u64(m.size), modified: m.modified }
}

impl Client {
    /// `GET /account/v1/customer`; also caches the username.
    pub async fn customer(&self) -> Result<Customer> {
        let c: CustomerJson = self.call_json(Req::get(self.api_url("account/v1/customer")?).short()).await?;
        if c.username.is_empty() {
            return Err(Error::Protocol("customer reply without username".into()));
        }
        let _ = self.inner.username.set(c.username.clone());
        Ok(Customer {
            username: c.username,
            email: c.email,
            name: c.name,
            account_type: c.account_type,
            subscription_type: c.subscription_type,
            usage: c.usage,
            quota: c.quota,
            write_locked: c.write_locked.unwrap_or(false),
            read_locked: c.read_locked.unwrap_or(false),
        })
    }

    /// Takes the account's internal username as already known (recorded
    /// when the account was added), so the first JFS request of a process
    /// needs no `customer` lookup first. Ignored once the username is known.
    pub fn assume_username(&self, username: &str) {
        if !username.is_empty() {
            let _ = self.inner.username.set(username.to_string());
        }
    }

    /// The internal username (fetched once per client, then cached).
    pub async fn username(&self) -> Result<String> {
        self.inner.username.get_or_try_init(|| async { self.customer().await.map(|c| c.username) }).await.cloned()
    }

    /// `GET /jfs/<user>`: quota, usage, locks, devices.
    pub async fn drive_info(&self) -> Result<DriveInfo> {
        let user = self.username().await?;
        let url = self.inner.endpoints.jfs_url(&escape_segment(&user))?;
        let u = UserXml::from_el(&self.call_xml(Req::get(url).short()).await?)?;
        Ok(DriveInfo {
            username: u.username,
            account_type: u.account_type,
            capacity: u.capacity.filter(|c| *c > 0).map(|c| c as u64),
            usage: u.usage.unwrap_or(0).max(0) as u64,
            locked: u.locked,
            read_locked: u.read_locked,
            write_locked: u.write_locked,
            quota_write_locked: u.quota_write_locked,
            devices: u.devices.into_iter().map(device_from).collect(),
        })
    }

    async fn device_url(&self, device: &str, mountpoint: Option<&str>) -> Result<url::Url> {
        validate_remote_name(device)?;
        let user = self.username().await?;
        let mut p = format!("{}/{}", escape_segment(&user), escape_segment(device));
        if let Some(m) = mountpoint {
            validate_remote_name(m)?;
            p.push('/');
            p.push_str(&escape_segment(m));
        }
        self.inner.endpoints.jfs_url(&p)
    }

    /// `GET /jfs/<user>/<device>`: the device with its mountpoints.
    pub async fn device(&self, device: &str) -> Result<DeviceInfo> {
        let el = self.call_xml(Req::get(self.device_url(device, None).await?).short()).await?;
        if el.name != "device" {
            return Err(Error::Protocol(format!("expected <device>, got <{}>", el.name)));
        }
        Ok(device_from(DeviceXml::from_el(&el)?))
    }

    /// `POST /jfs/<user>/<device>?type=WORKSTATION` (idempotent on the server).
    pub async fn create_device(&self, device: &str) -> Result<DeviceInfo> {
        let req = Req::post(self.device_url(device, None).await?).q("type", "WORKSTATION").short();
        let el = self.call_xml(req).await?;
        Ok(device_from(DeviceXml::from_el(&el)?))
    }

    /// `POST /jfs/<user>/<device>/<mp>`. Refused client-side on the built-in
    /// `Jotta` device (as rclone does; the server answers 403).
    pub async fn create_mountpoint(&self, device: &str, mountpoint: &str) -> Result<MountPointInfo> {
        if device.eq_ignore_ascii_case("jotta") {
            return Err(Error::InvalidArgument(
                "custom mountpoints are not supported on the built-in Jotta device".into(),
            ));
        }
        let el = self.call_xml(Req::post(self.device_url(device, Some(mountpoint)).await?).short()).await?;
        Ok(mp_from(MountPointXml::from_el(&el)?))
    }
}
