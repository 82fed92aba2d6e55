def test_profile_renders(admin_client_a, partner_a):
    response = admin_client_a.get("/company/")
    assert response.status_code == 200
    assert partner_a.name in response.content.decode()
