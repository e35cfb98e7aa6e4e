class OrdersController < ApplicationController
  def index
    @orders.each do |order|
      Customer.where(id: order.customer_id).first
    end
    Order.find_by_sql("SELECT * FROM orders")
  end
end
