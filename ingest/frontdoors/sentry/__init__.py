"""The Sentry front door: routes (envelope and minidump endpoints), envelope framing, and the mapping of Sentry
events onto native crash reports and events; everything after the mapping is the pipeline's."""
