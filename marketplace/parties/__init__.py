"""Related parties (关联关系): affiliations recorded between organisations, the details operators
correct on organisations, and one-order exceptions to the related-party voucher exclusion."""
