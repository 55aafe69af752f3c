//! Public links (spec 4.15): `GET …?mode=enableShare|disableShare`.

use crate::client::Client;
use crate::error::{Error, Result};
use crate::http::Req;
use crate::model::ShareLink;
use crate::names::{RemotePath, escape_segment};

impl Client {
    /// Share a file publicly and return its links. rclone requires a
    /// non-empty `publicURI` in the answer; so do we.
    pub async fn enable_share(&self, path: &RemotePath) -> Result<ShareLink> {
        let el = self.call_xml(Req::get(self.jfs_url(path).await?).q("mode", "enableShare").short()).await?;
        let uri = el
            .child_trim("publicURI")
            .ok_or_else(|| Error::Protocol(format!("{path}: no publicURI after enableShare")))?
            .to_string();
        let user = self.username().await?;
        let web = &self.inner.endpoints.web;
        let direct_url = web
            .join(&format!("opin/io/downloadPublic/{}/{}", escape_segment(&user), escape_segment(&uri)))
            .map_err(|e| Error::Protocol(format!("bad share link: {e}")))?;
        let web_url = el.child_trim("publicSharePath").and_then(|p| web.join(p.trim_start_matches('/')).ok());
        Ok(ShareLink { public_uri: uri, direct_url, web_url })
    }

    /// Stop sharing. Fails if the answer still carries a `publicURI`.
    pub async fn disable_share(&self, path: &RemotePath) -> Result<()> {
        let el = self.call_xml(Req::get(self.jfs_url(path).await?).q("mode", "disableShare").short()).await?;
        if el.child_trim("publicURI").is_some() {
            return Err(Error::Protocol(format!("{path}: still shared after disableShare")));
        }
        Ok(())
    }
}
