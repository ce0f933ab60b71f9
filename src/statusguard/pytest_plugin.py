"""pytest plugin for statusguard (placeholder until the plugin lands; inert)."""
