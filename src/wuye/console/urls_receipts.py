"""Console URLs of the receipts pages, included by console/urls.py in the console namespace.

NAV lists this part's entries in the sidebar: (url name, label, permission).
"""

urlpatterns = []
NAV = []
