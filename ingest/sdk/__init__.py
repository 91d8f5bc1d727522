"""What the Sentry and PostHog compatibility endpoints share: key auth and the consent decision."""
