"""Redemption (兑付): providers claim the voucher share of completed orders; admins review twice
(初审, 终审) and pay approved requests in settlement batches (结算批次)."""
