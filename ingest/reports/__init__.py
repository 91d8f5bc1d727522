"""Analytics reports with k-anonymity: `consentry report` and `GET /v1/admin/reports/{name}`."""
