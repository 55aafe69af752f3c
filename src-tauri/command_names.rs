// Every command the UI may call, in one place: `build.rs` generates an
// `allow-<command>` permission for each, and `commands::NAMES` is checked
// against `capabilities/main.json` and the web bridge in tests. Included with
// `include!` by both, because a build script cannot import the crate.
&[
    "app_info",
    "use_file_store",
    "list_storages",
    "list_services",
    "storage_quota",
    "remove_storage",
    "start_demo",
    "wizard_login_token",
    "wizard_browser",
    "wizard_cancel",
    "wizard_save",
    "reconnect_login_token",
    "reconnect_browser",
    "list_folder",
    "create_folder",
    "move_item",
    "delete_item",
    "download",
    "set_share",
    "list_trash",
    "restore_trash_item",
    "delete_trash_item",
    "empty_trash",
]
