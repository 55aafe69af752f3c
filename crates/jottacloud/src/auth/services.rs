//! White-label services for the traditional flow (spec 2.6, rclone's list).

use url::Url;

use crate::http::Endpoints;

/// One identity service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Service {
    /// Config key, e.g. `jottacloud`, `telia_se`.
    pub key: &'static str,
    /// Human-readable name.
    pub name: &'static str,
    /// Identity host.
    pub domain: &'static str,
    /// Keycloak realm.
    pub realm: &'static str,
    /// OAuth client id.
    pub client_id: &'static str,
    /// Space-separated scopes.
    pub scopes: &'static str,
}

const FULL: &str = "openid jotta-default offline_access";
const SHORT: &str = "openid offline_access";

macro_rules! svc {
    ($k:expr, $n:expr, $d:expr, $r:expr, $c:expr, $s:expr) => {
        Service { key: $k, name: $n, domain: $d, realm: $r, client_id: $c, scopes: $s }
    };
}

/// Every known service.
pub const SERVICES: &[Service] = &[
    svc!("jottacloud", "Jottacloud", "id.jottacloud.com", "jottacloud", "desktop", FULL),
    svc!("elgiganten_dk", "Elgiganten Cloud (Denmark)", "cloud.elgiganten.dk", "elgiganten", "desktop", FULL),
    svc!("elgiganten_se", "Elgiganten Cloud (Sweden)", "cloud.elgiganten.se", "elgiganten", "desktop", FULL),
    svc!("elkjop", "Elkjøp Cloud (Norway)", "cloud.elkjop.no", "elkjop", "desktop", FULL),
    svc!("elko", "ELKO Cloud (Iceland)", "cloud.elko.is", "elko", "desktop", FULL),
    svc!("gigantti", "Gigantti Cloud (Finland)", "cloud.gigantti.fi", "gigantti", "desktop", FULL),
    svc!("letsgo", "Let's Go Cloud (Germany)", "letsgo.jotta.cloud", "letsgo", "desktop-win", SHORT),
    svc!("mediamarkt", "MediaMarkt Cloud (Multiregional)", "mediamarkt.jottacloud.com", "mediamarkt", "desktop", FULL),
    svc!("onlime", "Onlime (Denmark)", "cloud-auth.onlime.dk", "onlime_wl", "desktop", FULL),
    svc!("phonero", "Phonero Sky", "sky.phonero.no", "phonero", "desktop-win", SHORT),
    svc!("tele2", "Tele2 Cloud (Sweden)", "mittcloud-auth.tele2.se", "comhem", "desktop", FULL),
    svc!("telia_no", "Telia Sky (Norway)", "sky-auth.telia.no", "get", "desktop", FULL),
    svc!("telia_se", "Telia Cloud (Sweden)", "cloud-auth.telia.se", "telia_se", "desktop", FULL),
];

/// Look a service up by key (case-insensitive).
pub fn service(key: &str) -> Option<&'static Service> {
    SERVICES.iter().find(|s| s.key.eq_ignore_ascii_case(key))
}

impl Service {
    /// `https://<domain>/auth/realms/<realm>/.well-known/openid-configuration`,
    /// with the endpoints' identity override applied.
    pub fn well_known_url(&self, endpoints: &Endpoints) -> Url {
        let u =
            Url::parse(&format!("https://{}/auth/realms/{}/.well-known/openid-configuration", self.domain, self.realm))
                .expect("static service table");
        endpoints.rewrite_identity(&u)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        assert_eq!(SERVICES.len(), 13);
        let t = service("TELE2").unwrap();
        assert_eq!((t.realm, t.client_id), ("comhem", "desktop"));
        assert_eq!(service("phonero").unwrap().scopes, "openid offline_access");
        let e = Endpoints::from_origin(&Url::parse("http://127.0.0.1:9/").unwrap());
        assert_eq!(
            service("jottacloud").unwrap().well_known_url(&e).as_str(),
            "http://127.0.0.1:9/auth/realms/jottacloud/.well-known/openid-configuration"
        );
    }
}
