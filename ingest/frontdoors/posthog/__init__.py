"""The PostHog front door: routes (capture v0 / v1, flags) and the mapping of PostHog events onto native events
and crash reports; everything after the mapping is the pipeline's."""
