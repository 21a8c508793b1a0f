from shop.api import Request, dispatch

ADDRESS = {
    "name": "Sam Reader",
    "line1": "12 Elm St",
    "city": "Portland",
    "postcode": "97201",
    "country": "US",
    "region": "OR",
}


def new_cart(shop):
    return shop.store.new_cart("cust-1").id


def test_add_item_and_read_the_cart(shop):
    cart_id = new_cart(shop)
    response = dispatch(Request("POST", f"/carts/{cart_id}/items", {"sku": "BK-002", "quantity": 2}), shop)
    assert response.status == 200
    assert response.body["cart"]["lines"][0]["line_total"] == "69.00"
    assert dispatch(Request("GET", f"/carts/{cart_id}"), shop).body["price"]["total"] == "69.00"


def test_unknown_coupon_is_a_422_and_is_not_kept(shop):
    cart_id = new_cart(shop)
    dispatch(Request("POST", f"/carts/{cart_id}/items", {"sku": "BK-002"}), shop)
    response = dispatch(Request("POST", f"/carts/{cart_id}/coupons", {"code": "FREEBOOKS"}), shop)
    assert response.status == 422
    assert response.body == {"error": "Coupon code 'FREEBOOKS' does not exist"}
    assert shop.store.get_cart(cart_id).coupon_codes == []


def test_missing_address_field(shop):
    cart_id = new_cart(shop)
    body = {"address": {**ADDRESS, "postcode": ""}}
    response = dispatch(Request("POST", f"/carts/{cart_id}/checkout", body), shop)
    assert response.status == 400
    assert response.body["error"] == "The address is missing its postcode"


def test_checkout_charges_and_empties_the_cart(shop):
    cart_id = new_cart(shop)
    dispatch(Request("POST", f"/carts/{cart_id}/items", {"sku": "BK-001"}), shop)
    dispatch(Request("POST", f"/carts/{cart_id}/coupons", {"code": "welcome5"}), shop)
    response = dispatch(Request("POST", f"/carts/{cart_id}/checkout", {"address": ADDRESS}), shop)
    assert response.status == 201
    assert response.body["price"]["total"] == "7.99"
    assert shop.gateway.charges["order-" + response.body["order_id"]]["amount"] == 799
    assert dispatch(Request("GET", f"/carts/{cart_id}"), shop).status == 404


def test_unknown_route(shop):
    assert dispatch(Request("GET", "/nowhere"), shop).status == 404
