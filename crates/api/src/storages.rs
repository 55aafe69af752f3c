//! The storage list, quota and the service table.

use fjordsync_engine::{RemoteConfig, Remotes, session};
use fjordsync_jottacloud::auth::{self, SERVICES};

use super::dto::{AppEvent, DeviceDto, MountpointDto, QuotaDto, ServiceDto, StorageDto};
use super::{Api, DEMO_STORAGE};
use crate::error::AppResult;

/// Where a service's users make a personal login token (the wizard's "where
/// do I get a token" link). Only Jottacloud documents one. The window may open
/// only the links in the opener scope of `capabilities/main.json`, so a link
/// added here must go there too (a test in `commands` checks).
pub fn login_token_url(service: &str) -> Option<&'static str> {
    (service == "jottacloud").then_some("https://www.jottacloud.com/web/secure")
}

impl Api {
    pub(crate) fn storage_dto(&self, r: &RemoteConfig) -> StorageDto {
        StorageDto {
            name: r.name.clone(),
            service: r.service.clone(),
            service_name: auth::service(&r.service).map(|s| s.name.to_string()).unwrap_or_else(|| r.service.clone()),
            sign_in: r.sign_in,
            device: r.device.clone(),
            mountpoint: r.mountpoint.clone(),
            username: r.username.clone(),
            demo: r.name == DEMO_STORAGE && self.demo_configured(),
        }
    }

    /// Every configured storage, by name.
    pub async fn list_storages(&self) -> AppResult<Vec<StorageDto>> {
        let mut list = Remotes::new(self.config().clone()).list()?;
        list.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(list.iter().map(|r| self.storage_dto(r)).collect())
    }

    /// The services the wizard offers: Jottacloud and its white-label brands.
    pub async fn list_services(&self) -> AppResult<Vec<ServiceDto>> {
        Ok(SERVICES
            .iter()
            .map(|s| ServiceDto {
                key: s.key.to_string(),
                name: s.name.to_string(),
                login_token_url: login_token_url(s.key).map(str::to_string),
                legacy: super::wizard::supports_legacy(s.key),
            })
            .collect())
    }

    /// Quota and usage per device and mountpoint of a storage's account.
    pub async fn storage_quota(&self, storage: String) -> AppResult<QuotaDto> {
        let s = self.session(&storage).await?;
        let drive = s.client.drive_info().await?;
        let mut devices = Vec::new();
        for d in &drive.devices {
            // The account listing leaves mountpoints out; ask per device.
            let mountpoints = if d.mountpoints.is_empty() {
                s.client.device(&d.name).await.map(|i| i.mountpoints).unwrap_or_default()
            } else {
                d.mountpoints.clone()
            };
            devices.push(DeviceDto {
                name: d.name.clone(),
                size: d.size,
                mountpoints: mountpoints.iter().map(|m| MountpointDto { name: m.name.clone(), size: m.size }).collect(),
            });
        }
        Ok(QuotaDto {
            used: drive.usage,
            total: drive.capacity,
            write_locked: drive.write_locked || drive.quota_write_locked || drive.locked,
            read_locked: drive.read_locked,
            devices,
        })
    }

    /// Removes a storage: its settings and its stored token. Files on the
    /// service are not touched.
    pub async fn remove_storage(&self, storage: String) -> AppResult<()> {
        self.forget_session(&storage);
        let (config, secrets) = (self.config().clone(), self.secrets());
        tokio::task::spawn_blocking(move || session::remove_remote(&config, secrets, &storage))
            .await
            .map_err(|e| crate::error::AppError::new("internal", e.to_string()))??;
        self.emit(AppEvent::StoragesChanged);
        Ok(())
    }
}
