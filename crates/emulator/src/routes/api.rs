//! The JSON API: `/account/v1/customer` (2.10) and `/files/v1/purge_trash` (4.14).

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::Response;

use crate::errors::json_response;
use crate::server::{App, lock};

/// Capacity as the service reports it: -1 for unlimited.
pub fn capacity(app: &App) -> i64 {
    app.runtime().quota.filter(|q| *q > 0).unwrap_or(-1)
}

pub fn customer(app: &Arc<App>) -> Response {
    let (usage, write_locked) = {
        let s = lock(&app.store);
        (s.usage(), s.write_locked || s.quota_write_locked)
    };
    let quota = capacity(app);
    json_response(
        StatusCode::OK,
        &serde_json::json!({
            "username": app.account.username,
            "email": app.account.email,
            "name": app.account.name,
            "country_code": "NO",
            "language_code": "en",
            "customer_group_code": "JOTTA",
            "brand_code": "JOTTA",
            "account_type": if quota > 0 { "limited" } else { "unlimited" },
            "subscription_type": if quota > 0 { "LIMITED" } else { "UNLIMITED" },
            "usage": usage as i64,
            "quota": quota,
            "business_usage": 0,
            "business_quota": -1,
            "write_locked": write_locked,
            "read_locked": false,
            "locked_cause": null,
            "web_hash": "",
            "android_hash": "",
            "ios_hash": "",
        }),
    )
}

pub fn purge_trash(app: &Arc<App>) -> Response {
    let res = {
        let mut s = lock(&app.store);
        let r = s.purge_trash();
        let garbage = std::mem::take(&mut s.garbage);
        (r, garbage)
    };
    for id in res.1 {
        app.content.remove_part(&id);
    }
    match res.0 {
        Ok((folders, files)) => {
            app.mark_dirty();
            json_response(StatusCode::OK, &serde_json::json!({"folders": folders, "files": files}))
        }
        Err(f) => f.api(),
    }
}
